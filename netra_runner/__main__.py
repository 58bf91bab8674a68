from netra_runner.cli import main

main()
