from policytrack.pipeline.cli.app import main

main()
