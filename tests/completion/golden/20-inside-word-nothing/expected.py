value = print
