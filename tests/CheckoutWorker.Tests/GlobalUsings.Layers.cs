// The layers below the host come from the host's own list (src/CheckoutWorker/GlobalUsings.cs, linked in the .csproj);
// the tests also see the host's configuration and wiring everywhere.
global using CheckoutAgent.Worker.Configuration;
global using CheckoutAgent.Worker.Hosting;
