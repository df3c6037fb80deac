using CheckoutAgent.LinkCliStandIn;

return await StandIn.RunAsync(args, Console.Out);
