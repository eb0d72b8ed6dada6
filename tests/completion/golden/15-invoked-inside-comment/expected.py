# TODO: handle⟦ the empty case⟧
x = 1
