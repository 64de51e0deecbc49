"""One module per kind of monitored resource; ``registry.KINDS`` lists them."""
