message = "Hello, "
