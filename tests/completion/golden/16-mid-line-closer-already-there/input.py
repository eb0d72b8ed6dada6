result = fetch(<|cursor|>, timeout=5)
