using CheckoutAgent.Worker.Cli;

return await CliApp.RunAsync(args);
