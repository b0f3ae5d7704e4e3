from codi.cli.main import main

main()
