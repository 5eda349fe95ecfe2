pytest_plugins = ["mlps.lab.pytest_plugin"]
