from socdesk.cli import main

raise SystemExit(main())
