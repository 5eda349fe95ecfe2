from mlps.cli import main

main()
