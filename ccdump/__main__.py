from ccdump.cli import main

main()
