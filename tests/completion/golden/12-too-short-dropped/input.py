name = user.<|cursor|>
