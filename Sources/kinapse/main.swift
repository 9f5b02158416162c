print("kinapse")
