message = "Hello, <|cursor|>"
