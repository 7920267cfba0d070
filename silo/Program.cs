using OrleansPrices.Grains.Hosting;

// A silo alone: the grains, their streams and the quote ingest, without the gateway. Clustering
// is localhost (gateways connect as Orleans clients); the Redis cluster mode builds on this.
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo =>
{
    silo.UseLocalhostClustering(
        siloPort: builder.Configuration.GetValue("Cluster:SiloPort", 11111),
        gatewayPort: builder.Configuration.GetValue("Cluster:GatewayPort", 30000));
    silo.AddPriceGrid(builder.Configuration);
    silo.Services.AddQuoteIngest();
});
await builder.Build().RunAsync();
