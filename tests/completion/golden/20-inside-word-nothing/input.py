value = pri<|cursor|>nt
