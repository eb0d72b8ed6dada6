def build():<|cursor|>
