def mean(values):⟦
    return sum(values) / len(values)⟧


def median(values):
    pass
