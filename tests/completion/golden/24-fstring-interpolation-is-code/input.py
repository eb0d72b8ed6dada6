label = f"{user.<|cursor|>}"
