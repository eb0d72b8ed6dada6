config = {"debug":<|cursor|>}
