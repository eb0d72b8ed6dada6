x = <|cursor|>
