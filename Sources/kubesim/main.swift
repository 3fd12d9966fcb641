import KubeSimShell

KubeSimMain.main()
