from casework.cli import main

raise SystemExit(main())
