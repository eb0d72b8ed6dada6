def setup():
    items = []
    <|cursor|>
