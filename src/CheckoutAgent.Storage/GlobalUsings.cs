// The records every store reads and writes come from Core; Storage never reaches up into the host.
global using CheckoutAgent.Core.Agents;
global using CheckoutAgent.Core.Policy;
global using CheckoutAgent.Core.Purchases;
global using CheckoutAgent.Core.Schedules;
