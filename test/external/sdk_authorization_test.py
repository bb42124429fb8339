"""The Azure SDK for Python's AuthorizationManagementClient (Debian's python3-azure, api-version
2022-04-01) against a real gangplankd, as a platform team scripts access: the built-in roles
listed and filtered, a custom role written, a service principal from Microsoft Graph given it at
a resource group and listed with atScope(), its token held to what the role lists, the
assignment and the role deleted. Usage: sdk_authorization_test.py DATA_DIR"""
import json
import sys
import uuid

import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.authorization import AuthorizationManagementClient

from azure_clients import connect

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def graph(clients, method, path, body=None):
    token = clients.credential.get_token(*clients.scopes).token
    response = requests.request(method, f"{clients.server}/v1.0/{path}", json=body,
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 300, (path, response.status_code, response.text)
    return response.json() if response.text else None


def main():
    clients = connect(sys.argv[1], "2022-11-01")
    sub = f"/subscriptions/{clients.subscription}"
    auth = AuthorizationManagementClient(clients.credential, clients.subscription,
                                         base_url=clients.server + "/", credential_scopes=clients.scopes)
    clients.resources.resource_groups.create_or_update("authz-rg", {"location": "westus2"})
    group = f"{sub}/resourceGroups/authz-rg"

    roles = list(auth.role_definitions.list(sub))
    names = {r.role_name for r in roles}
    for expected in ("Owner", "Contributor", "Reader", "User Access Administrator",
                     "Azure Kubernetes Service Cluster Admin Role", "Virtual Machine User Login"):
        assert expected in names, (expected, names)
    reader = list(auth.role_definitions.list(sub, filter="roleName eq 'Reader'"))
    assert [r.name for r in reader] == [READER], reader
    assert auth.role_definitions.get(sub, READER).permissions[0].actions == ["*/read"]

    # A custom role at the resource group: reads of clusters and pools, nothing else.
    role_id = str(uuid.uuid4())
    custom = auth.role_definitions.create_or_update(group, role_id, {
        "role_name": "AKS Pool Reader (sdk)", "description": "reads clusters and pools",
        "role_type": "CustomRole", "assignable_scopes": [group],
        "permissions": [{"actions": ["Microsoft.ContainerService/managedClusters/read",
                                     "Microsoft.ContainerService/managedClusters/agentPools/read"],
                         "not_actions": [], "data_actions": [], "not_data_actions": []}]})
    assert custom.role_type == "CustomRole" and custom.name == role_id, custom
    listed = list(auth.role_definitions.list(group, filter="type eq 'CustomRole'"))
    assert [r.name for r in listed] == [role_id], listed
    try:
        auth.role_definitions.create_or_update(group, str(uuid.uuid4()), {
            "role_name": "AKS Pool Reader (sdk)", "role_type": "CustomRole",
            "assignable_scopes": [group], "permissions": [{"actions": ["*/read"]}]})
        raise AssertionError("a second role took the same name")
    except (ResourceExistsError, HttpResponseError) as error:
        assert error.status_code == 409, error

    # A service principal made through Graph, assigned the custom role.
    app = graph(clients, "POST", "applications", {"displayName": "sdk-authz"})
    secret = graph(clients, "POST", f"applications/{app['id']}/addPassword",
                   {"passwordCredential": {"displayName": "sdk"}})["secretText"]
    sp = graph(clients, "POST", "servicePrincipals", {"appId": app["appId"]})
    name = str(uuid.uuid4())
    made = auth.role_assignments.create(group, name, {
        "role_definition_id": custom.id, "principal_id": sp["id"], "principal_type": "ServicePrincipal"})
    assert made.principal_id == sp["id"] and made.scope.lower() == group.lower(), made
    at_group = list(auth.role_assignments.list_for_scope(group, filter="atScope()"))
    assert any(a.name == name for a in at_group), at_group
    mine = list(auth.role_assignments.list_for_scope(sub, filter=f"principalId eq '{sp['id']}'"))
    assert [a.name for a in mine] == [name], mine

    # Its own token: reads in the group, nothing in the subscription, no writes.
    token = requests.post(f"{clients.server}/adfs/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": app["appId"], "client_secret": secret,
        "scope": clients.scopes[0]}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = f"{clients.server}{group}/providers/Microsoft.ContainerService/managedClusters"
    assert requests.get(f"{base}?api-version=2022-11-01", headers=headers).status_code == 200
    refused = requests.put(f"{base}/c1?api-version=2022-11-01", headers=headers,
                           json={"location": "westus2"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AuthorizationFailed", refused.text

    try:
        auth.role_definitions.delete(group, role_id)
        raise AssertionError("a role with an assignment was deleted")
    except HttpResponseError as error:
        assert error.status_code == 400 and "RoleDefinitionHasAssignments" in str(error), error
    auth.role_assignments.delete(group, name)
    assert requests.get(f"{base}?api-version=2022-11-01", headers=headers).status_code == 403
    auth.role_definitions.delete(group, role_id)
    assert not list(auth.role_definitions.list(group, filter="type eq 'CustomRole'"))
    print("AuthorizationManagementClient: roles, a custom role, assignments: ok")


if __name__ == "__main__":
    main()
