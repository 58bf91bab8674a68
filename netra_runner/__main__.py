from netra_runner.cli.app import main

main()
