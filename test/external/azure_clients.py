"""The Azure SDK for Python clients of the external tests, logged in to a gangplankd from its data
dir's credentials.json (the ADFS-style token issuer, the local CA through REQUESTS_CA_BUNDLE)."""
import json
from types import SimpleNamespace

from azure.identity import ClientSecretCredential
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.resource import ResourceManagementClient


def connect(data_dir, api_version):
    """Clients for resource groups and for Microsoft.ContainerService at `api_version`."""
    with open(f"{data_dir}/credentials.json") as f:
        creds = json.load(f)
    server = creds["server"]  # with its trailing slash, as az sends the scope
    credential = ClientSecretCredential(
        tenant_id="adfs", client_id=creds["clientId"], client_secret=creds["clientSecret"],
        authority=server, disable_instance_discovery=True)
    scopes = [server + "/.default"]
    sub = creds["subscriptionId"]
    aks = ContainerServiceClient(credential, sub, base_url=server, credential_scopes=scopes,
                                 api_version=api_version)
    return SimpleNamespace(
        server=server.rstrip("/"), subscription=sub, credential=credential, scopes=scopes,
        resources=ResourceManagementClient(credential, sub, base_url=server, credential_scopes=scopes),
        aks=aks, models=aks.models(api_version=api_version))
