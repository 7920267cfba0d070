# Images for the cluster topology of docker-compose.yml: one build, two targets.
#   docker build --target silo -t orleansprices-silo .
#   docker build --target gateway -t orleansprices-gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish silo/silo.csproj -c Release -o /out/silo \
 && dotnet publish gateway/gateway.csproj -c Release -o /out/gateway

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS silo
WORKDIR /app
COPY --from=build /out/silo .
# Silo-to-silo and client (gateway) ports; Cluster:AdvertisedHost defaults to the container's address.
EXPOSE 11111 30000
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "OrleansPrices.Silo.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
WORKDIR /app
COPY --from=build /out/gateway .
ENV Urls=http://0.0.0.0:8000
EXPOSE 8000
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "OrleansPrices.Gateway.dll"]
