const port = <|cursor|>
