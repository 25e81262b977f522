def register(verbs, add):
    pass
