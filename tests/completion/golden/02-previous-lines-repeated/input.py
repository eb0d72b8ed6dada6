def greet(name):
    <|cursor|>
