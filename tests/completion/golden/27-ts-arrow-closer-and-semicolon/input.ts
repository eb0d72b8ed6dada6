const names = users.map((u) => <|cursor|>);
