import Testing
import KubeScript
import KubeSimShell

/// `--dry-run=client -o yaml|json|name` on the commands that create: the expected
/// texts are what kubectl v1.32 printed for the same command lines.
@Suite("kubectl --dry-run")
struct DryRunTests {
    static func run(_ script: String) -> (out: String, err: String, outcome: Session.Outcome) {
        var out = "", err = ""
        let s = SessionFactory.make(output: { out += $0 }, diagnostics: { err += $0 + "\n" })
        let o = s.run(script, name: "t.kscript")
        return (out, err, o)
    }

    static let cases: [(String, String)] = [
        ("create deployment web --image=nginx:1.25 --replicas=3 --port=80 --dry-run=client -o yaml", #"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              creationTimestamp: null
              labels:
                app: web
              name: web
            spec:
              replicas: 3
              selector:
                matchLabels:
                  app: web
              strategy: {}
              template:
                metadata:
                  creationTimestamp: null
                  labels:
                    app: web
                spec:
                  containers:
                  - image: nginx:1.25
                    name: nginx
                    ports:
                    - containerPort: 80
                    resources: {}
            status: {}
            """#),
        ("create deployment web --image=nginx --dry-run=client -o json", #"""
            {
                "kind": "Deployment",
                "apiVersion": "apps/v1",
                "metadata": {
                    "name": "web",
                    "creationTimestamp": null,
                    "labels": {
                        "app": "web"
                    }
                },
                "spec": {
                    "replicas": 1,
                    "selector": {
                        "matchLabels": {
                            "app": "web"
                        }
                    },
                    "template": {
                        "metadata": {
                            "creationTimestamp": null,
                            "labels": {
                                "app": "web"
                            }
                        },
                        "spec": {
                            "containers": [
                                {
                                    "name": "nginx",
                                    "image": "nginx",
                                    "resources": {}
                                }
                            ]
                        }
                    },
                    "strategy": {}
                },
                "status": {}
            }
            """#),
        ("create deployment web --image=nginx -n dev --dry-run=client -o json", #"""
            {
                "kind": "Deployment",
                "apiVersion": "apps/v1",
                "metadata": {
                    "name": "web",
                    "namespace": "dev",
                    "creationTimestamp": null,
                    "labels": {
                        "app": "web"
                    }
                },
                "spec": {
                    "replicas": 1,
                    "selector": {
                        "matchLabels": {
                            "app": "web"
                        }
                    },
                    "template": {
                        "metadata": {
                            "creationTimestamp": null,
                            "labels": {
                                "app": "web"
                            }
                        },
                        "spec": {
                            "containers": [
                                {
                                    "name": "nginx",
                                    "image": "nginx",
                                    "resources": {}
                                }
                            ]
                        }
                    },
                    "strategy": {}
                },
                "status": {}
            }
            """#),
        ("create deployment web --image=nginx --image=nginx:1.2 --image=busybox --dry-run=client -o yaml", #"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              creationTimestamp: null
              labels:
                app: web
              name: web
            spec:
              replicas: 1
              selector:
                matchLabels:
                  app: web
              strategy: {}
              template:
                metadata:
                  creationTimestamp: null
                  labels:
                    app: web
                spec:
                  containers:
                  - image: nginx
                    name: nginx
                    resources: {}
                  - image: nginx:1.2
                    name: nginx
                    resources: {}
                  - image: busybox
                    name: busybox
                    resources: {}
            status: {}
            """#),
        ("create deployment web --image=nginx --dry-run=client", #"""
            deployment.apps/web created (dry run)
            """#),
        ("create deployment web --image=nginx --dry-run=client -o name", #"""
            deployment.apps/web
            """#),
        ("create namespace dev --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: Namespace
            metadata:
              creationTimestamp: null
              name: dev
            spec: {}
            status: {}
            """#),
        ("create namespace dev --dry-run=client -o json", #"""
            {
                "kind": "Namespace",
                "apiVersion": "v1",
                "metadata": {
                    "name": "dev",
                    "creationTimestamp": null
                },
                "spec": {},
                "status": {}
            }
            """#),
        ("create job j --image=busybox --dry-run=client -o yaml -- echo hi", #"""
            apiVersion: batch/v1
            kind: Job
            metadata:
              creationTimestamp: null
              name: j
            spec:
              template:
                metadata:
                  creationTimestamp: null
                spec:
                  containers:
                  - command:
                    - echo
                    - hi
                    image: busybox
                    name: j
                    resources: {}
                  restartPolicy: Never
            status: {}
            """#),
        ("create job j --image=busybox --dry-run=client -o json -- echo hi", #"""
            {
                "kind": "Job",
                "apiVersion": "batch/v1",
                "metadata": {
                    "name": "j",
                    "creationTimestamp": null
                },
                "spec": {
                    "template": {
                        "metadata": {
                            "creationTimestamp": null
                        },
                        "spec": {
                            "containers": [
                                {
                                    "name": "j",
                                    "image": "busybox",
                                    "command": [
                                        "echo",
                                        "hi"
                                    ],
                                    "resources": {}
                                }
                            ],
                            "restartPolicy": "Never"
                        }
                    }
                },
                "status": {}
            }
            """#),
        ("create cronjob cj --image=busybox --schedule=\"*/1 * * * *\" --dry-run=client -o yaml -- date", #"""
            apiVersion: batch/v1
            kind: CronJob
            metadata:
              creationTimestamp: null
              name: cj
            spec:
              jobTemplate:
                metadata:
                  creationTimestamp: null
                  name: cj
                spec:
                  template:
                    metadata:
                      creationTimestamp: null
                    spec:
                      containers:
                      - command:
                        - date
                        image: busybox
                        name: cj
                        resources: {}
                      restartPolicy: OnFailure
              schedule: '*/1 * * * *'
            status: {}
            """#),
        ("create cronjob cj --image=busybox --schedule=\"*/1 * * * *\" --restart=Never --dry-run=client -o json", #"""
            {
                "kind": "CronJob",
                "apiVersion": "batch/v1",
                "metadata": {
                    "name": "cj",
                    "creationTimestamp": null
                },
                "spec": {
                    "schedule": "*/1 * * * *",
                    "jobTemplate": {
                        "metadata": {
                            "name": "cj",
                            "creationTimestamp": null
                        },
                        "spec": {
                            "template": {
                                "metadata": {
                                    "creationTimestamp": null
                                },
                                "spec": {
                                    "containers": [
                                        {
                                            "name": "cj",
                                            "image": "busybox",
                                            "resources": {}
                                        }
                                    ],
                                    "restartPolicy": "Never"
                                }
                            }
                        }
                    }
                },
                "status": {}
            }
            """#),
        ("create role r --verb=get,list --resource=pods,deployments.apps --resource-name=a --dry-run=client -o yaml", #"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata:
              creationTimestamp: null
              name: r
            rules:
            - apiGroups:
              - ""
              resourceNames:
              - a
              resources:
              - pods
              verbs:
              - get
              - list
            - apiGroups:
              - apps
              resourceNames:
              - a
              resources:
              - deployments
              verbs:
              - get
              - list
            """#),
        ("create role r --verb=get --resource=pods --dry-run=client -o json", #"""
            {
                "kind": "Role",
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "metadata": {
                    "name": "r",
                    "creationTimestamp": null
                },
                "rules": [
                    {
                        "verbs": [
                            "get"
                        ],
                        "apiGroups": [
                            ""
                        ],
                        "resources": [
                            "pods"
                        ]
                    }
                ]
            }
            """#),
        ("create clusterrole cr --verb=get --resource=deployments.apps --dry-run=client -o yaml", #"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              creationTimestamp: null
              name: cr
            rules:
            - apiGroups:
              - apps
              resources:
              - deployments
              verbs:
              - get
            """#),
        ("create rolebinding rb --role=r --user=alice --serviceaccount=default:sa1 --dry-run=client -o yaml", #"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata:
              creationTimestamp: null
              name: rb
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: Role
              name: r
            subjects:
            - apiGroup: rbac.authorization.k8s.io
              kind: User
              name: alice
            - kind: ServiceAccount
              name: sa1
              namespace: default
            """#),
        ("create rolebinding rb --role=r --user=alice --serviceaccount=default:sa1 --dry-run=client -o json", #"""
            {
                "kind": "RoleBinding",
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "metadata": {
                    "name": "rb",
                    "creationTimestamp": null
                },
                "subjects": [
                    {
                        "kind": "User",
                        "apiGroup": "rbac.authorization.k8s.io",
                        "name": "alice"
                    },
                    {
                        "kind": "ServiceAccount",
                        "name": "sa1",
                        "namespace": "default"
                    }
                ],
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "r"
                }
            }
            """#),
        ("create clusterrolebinding crb --clusterrole=cr --group=devs --dry-run=client -o yaml", #"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata:
              creationTimestamp: null
              name: crb
            roleRef:
              apiGroup: rbac.authorization.k8s.io
              kind: ClusterRole
              name: cr
            subjects:
            - apiGroup: rbac.authorization.k8s.io
              kind: Group
              name: devs
            """#),
        ("create serviceaccount sa1 --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              creationTimestamp: null
              name: sa1
            """#),
        ("create serviceaccount sa1 --dry-run=client -o json", #"""
            {
                "kind": "ServiceAccount",
                "apiVersion": "v1",
                "metadata": {
                    "name": "sa1",
                    "creationTimestamp": null
                }
            }
            """#),
        ("create service clusterip svc --tcp=80:8080 --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: Service
            metadata:
              creationTimestamp: null
              labels:
                app: svc
              name: svc
            spec:
              ports:
              - name: 80-8080
                port: 80
                protocol: TCP
                targetPort: 8080
              selector:
                app: svc
              type: ClusterIP
            status:
              loadBalancer: {}
            """#),
        ("create service nodeport np --tcp=80:8080 --node-port=30080 --dry-run=client -o json", #"""
            {
                "kind": "Service",
                "apiVersion": "v1",
                "metadata": {
                    "name": "np",
                    "creationTimestamp": null,
                    "labels": {
                        "app": "np"
                    }
                },
                "spec": {
                    "ports": [
                        {
                            "name": "80-8080",
                            "protocol": "TCP",
                            "port": 80,
                            "targetPort": 8080,
                            "nodePort": 30080
                        }
                    ],
                    "selector": {
                        "app": "np"
                    },
                    "type": "NodePort"
                },
                "status": {
                    "loadBalancer": {}
                }
            }
            """#),
        ("create service loadbalancer lb --tcp=80 --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: Service
            metadata:
              creationTimestamp: null
              labels:
                app: lb
              name: lb
            spec:
              ports:
              - name: "80"
                port: 80
                protocol: TCP
                targetPort: 80
              selector:
                app: lb
              type: LoadBalancer
            status:
              loadBalancer: {}
            """#),
        ("create service clusterip hl --clusterip=None --tcp=80 --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: Service
            metadata:
              creationTimestamp: null
              labels:
                app: hl
              name: hl
            spec:
              clusterIP: None
              ports:
              - name: "80"
                port: 80
                protocol: TCP
                targetPort: 80
              selector:
                app: hl
              type: ClusterIP
            status:
              loadBalancer: {}
            """#),
        ("create quota q --hard=pods=10,cpu=2,memory=1Gi --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: ResourceQuota
            metadata:
              creationTimestamp: null
              name: q
            spec:
              hard:
                cpu: "2"
                memory: 1Gi
                pods: "10"
            status: {}
            """#),
        ("create quota q --hard=pods=10,cpu=2 --dry-run=client -o json", #"""
            {
                "kind": "ResourceQuota",
                "apiVersion": "v1",
                "metadata": {
                    "name": "q",
                    "creationTimestamp": null
                },
                "spec": {
                    "hard": {
                        "cpu": "2",
                        "pods": "10"
                    }
                },
                "status": {}
            }
            """#),
        ("create configmap cm --from-literal=a=1 --from-literal=b=x --dry-run=client -o yaml", #"""
            apiVersion: v1
            data:
              a: "1"
              b: x
            kind: ConfigMap
            metadata:
              creationTimestamp: null
              name: cm
            """#),
        ("create configmap cm --from-literal=a=1 --dry-run=client -o json", #"""
            {
                "kind": "ConfigMap",
                "apiVersion": "v1",
                "metadata": {
                    "name": "cm",
                    "creationTimestamp": null
                },
                "data": {
                    "a": "1"
                }
            }
            """#),
        ("create secret generic s --from-literal=p=pw --dry-run=client -o yaml", #"""
            apiVersion: v1
            data:
              p: cHc=
            kind: Secret
            metadata:
              creationTimestamp: null
              name: s
            """#),
        ("create secret generic s --from-literal=p=pw --dry-run=client -o json", #"""
            {
                "kind": "Secret",
                "apiVersion": "v1",
                "metadata": {
                    "name": "s",
                    "creationTimestamp": null
                },
                "data": {
                    "p": "cHc="
                }
            }
            """#),
        ("run web --image=nginx --port=80 --dry-run=client -o yaml", #"""
            apiVersion: v1
            kind: Pod
            metadata:
              creationTimestamp: null
              labels:
                run: web
              name: web
            spec:
              containers:
              - image: nginx
                name: web
                ports:
                - containerPort: 80
                resources: {}
              dnsPolicy: ClusterFirst
              restartPolicy: Always
            status: {}
            """#),
        ("run bb --image=busybox --restart=Never --env=A=1 --labels=app=x,tier=y --dry-run=client -o json --command -- sleep 10", #"""
            {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {
                    "name": "bb",
                    "creationTimestamp": null,
                    "labels": {
                        "app": "x",
                        "tier": "y"
                    }
                },
                "spec": {
                    "containers": [
                        {
                            "name": "bb",
                            "image": "busybox",
                            "command": [
                                "sleep",
                                "10"
                            ],
                            "env": [
                                {
                                    "name": "A",
                                    "value": "1"
                                }
                            ],
                            "resources": {}
                        }
                    ],
                    "restartPolicy": "Never",
                    "dnsPolicy": "ClusterFirst"
                },
                "status": {}
            }
            """#),
        ("run bb --image=busybox --image-pull-policy=IfNotPresent --dry-run=client -o yaml -- sleep 10", #"""
            apiVersion: v1
            kind: Pod
            metadata:
              creationTimestamp: null
              labels:
                run: bb
              name: bb
            spec:
              containers:
              - args:
                - sleep
                - "10"
                image: busybox
                imagePullPolicy: IfNotPresent
                name: bb
                resources: {}
              dnsPolicy: ClusterFirst
              restartPolicy: Always
            status: {}
            """#),
        ("run bb --image=busybox --dry-run=client", #"""
            pod/bb created (dry run)
            """#),
    ]

    @Test("client dry runs print what kubectl prints", arguments: cases)
    func clientDryRun(_ command: String, _ expected: String) {
        let r = Self.run(command)
        #expect(r.err == "")
        #expect(r.out == expected + "\n")
    }

    @Test("changes under a dry run say so, as kubectl does, and store nothing")
    func messagesAndNothingStored() {
        let r = Self.run("""
        cluster nodes=2
        create deployment web --image=nginx --port=8080
        scale deployment web --replicas=3 --dry-run=client
        scale deployment/web --replicas=3 --dry-run=client -o name
        label deployment web tier=fe --dry-run=client
        label deployment web tier=fe --dry-run=server
        annotate deployment web a=b --dry-run=client -o name
        set image deployment/web nginx=nginx:1.26 --dry-run=client
        label deployment web app- --dry-run=client
        label deployment web app=web --dry-run=client
        label deployment web app- tier=x --dry-run=client
        delete deployment web --dry-run=client
        delete deployment web --dry-run=server
        delete deployment web --dry-run=client -o name
        expose deployment web --port=80 --name=w2 --dry-run=client
        create deployment web --image=nginx --dry-run=client
        create deployment api --image=nginx --dry-run=server
        create deployment web --image=nginx --dry-run
        get deployments -o name
        get services -o name
        assert deployment("web").replicas == 1
        assert deployment("web").labels["app"] == "web"
        assert deployment("web").labels.count == 1
        """)
        #expect(r.err == "")
        #expect(r.out == """
        cluster created: 2 nodes (node1…node2), seed 1
        deployment.apps/web created
        deployment.apps/web scaled (dry run)
        deployment.apps/web
        deployment.apps/web labeled (dry run)
        deployment.apps/web labeled (server dry run)
        deployment.apps/web
        deployment.apps/web image updated (dry run)
        deployment.apps/web unlabeled (dry run)
        deployment.apps/web not labeled (dry run)
        deployment.apps/web unlabeled (dry run)
        deployment.apps "web" deleted (dry run)
        deployment.apps "web" deleted (server dry run)
        deployment.apps/web
        service/w2 exposed (dry run)
        deployment.apps/web created (dry run)
        deployment.apps/api created (server dry run)
        deployment.apps/web created (dry run)
        deployment.apps/web
        service/kubernetes

        """)
    }

    @Test("a server dry run answers with the defaulted object; a client dry run of scale shows the new count")
    func serverDryRunObject() {
        let r = Self.run("""
        cluster nodes=1
        create configmap c --from-literal=a=1 --dry-run=server -o yaml
        create deployment web --image=nginx
        scale deployment web --replicas=4 --dry-run=client -o yaml
        """)
        #expect(r.err == "")
        #expect(r.out.hasPrefix("""
        cluster created: 1 node (node1…node1), seed 1
        apiVersion: v1
        data:
          a: "1"
        kind: ConfigMap
        metadata:
          creationTimestamp: "2026-01-01T00:00:00Z"
          name: c
          namespace: default
          uid: 
        """))
        #expect(!r.out.split(separator: "deployment.apps/web created")[0].contains("resourceVersion"))
        #expect(r.out.contains("\ndeployment.apps/web created\napiVersion: apps/v1\nkind: Deployment\n"))
        #expect(r.out.contains("\n  replicas: 4\n"))
    }

    @Test("dry-run and output values kubectl refuses")
    func refusals() {
        let bad = Self.run("create deployment web --image=nginx --dry-run=foo")
        #expect(bad.err.contains(#"error: Invalid dry-run value (foo). Must be "none", "server", or "client"."#))
        let format = Self.run("create deployment web --image=nginx --dry-run=client -o foo")
        #expect(format.err.contains(#"error: unable to match a printer suitable for the output format "foo", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml"#))
    }

    @Test("YAML scalars take go-yaml's styles: plain, double- or single-quoted, literal, folded at 80 columns")
    func scalarStyles() {
        let r = Self.run(#"""
        create configmap cm --from-literal=a="word word word word word word word word word word word word word word word word word word word word word word word word word word word word word word end" --from-literal=b=-x --from-literal="c=- x" --from-literal="d=a: b" --from-literal=e=yes --from-literal=f=Yes --from-literal=g=yEs --from-literal=h=1:20 --from-literal="i= lead" --from-literal="j=two\nlines\n" --from-literal="k=x\ny" --from-literal="l=a #b" --from-literal="m=it's" --from-literal=n=1e3 --from-literal=o=0x1F --from-literal=p=~ --from-literal="q=<a&b>" --from-literal=r=2026-01-01 --from-literal=s=.5 --from-literal=t=a:b --from-literal=u=@x --dry-run=client -o yaml
        """#)
        #expect(r.err == "")
        #expect(r.out == #"""
        apiVersion: v1
        data:
          a: word word word word word word word word word word word word word word word word
            word word word word word word word word word word word word word word end
          b: -x
          c: '- x'
          d: 'a: b'
          e: "yes"
          f: "Yes"
          g: yEs
          h: "1:20"
          i: ' lead'
          j: |
            two
            lines
          k: |-
            x
            y
          l: 'a #b'
          m: it's
          "n": "1e3"
          o: "0x1F"
          p: "~"
          q: <a&b>
          r: "2026-01-01"
          s: ".5"
          t: a:b
          u: '@x'
        kind: ConfigMap
        metadata:
          creationTimestamp: null
          name: cm

        """#)
    }

    @Test("JSON escapes <, > and & as Go's encoder does")
    func jsonEscapes() {
        let r = Self.run(#"create configmap cm --from-literal="q=<a&b>" --from-literal="j=two\nlines\n" --dry-run=client -o json"#)
        #expect(r.out == #"""
        {
            "kind": "ConfigMap",
            "apiVersion": "v1",
            "metadata": {
                "name": "cm",
                "creationTimestamp": null
            },
            "data": {
                "j": "two\nlines\n",
                "q": "\u003ca\u0026b\u003e"
            }
        }

        """#)
    }

    @Test("-o jsonpath on a client dry run, as kubectl prints it")
    func jsonPathOutput() {
        let r = Self.run("create deployment web --image=nginx --dry-run=client -o jsonpath={.spec.template.spec.containers[0].name}")
        #expect(r.out == "nginx\n")
    }
}
