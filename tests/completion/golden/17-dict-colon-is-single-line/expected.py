config = {"debug":⟦ True,⟧}
