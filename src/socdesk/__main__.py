from socdesk.entry import main

raise SystemExit(main())
