// The layers below the host: Core (parsing and deciding) and Storage (where state is kept).
global using CheckoutAgent.Core.Agents;
global using CheckoutAgent.Core.Intake;
global using CheckoutAgent.Core.Policy;
global using CheckoutAgent.Core.Purchases;
global using CheckoutAgent.Core.Recipes;
global using CheckoutAgent.Core.Schedules;
global using CheckoutAgent.Storage;
global using CheckoutAgent.Worker.Configuration;
global using CheckoutAgent.Worker.Hosting;
