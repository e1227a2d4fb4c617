"""One module per task family; importing the package registers them all."""
