global using CheckoutAgent.Core.Purchases;
global using CheckoutAgent.Storage;
