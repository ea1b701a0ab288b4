"""Running mabe on rented cloud machines (optional extra ``mabe[modal]``)."""
