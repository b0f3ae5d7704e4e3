module example.com/codi-demo/greeter

go 1.22
