"""What the API benchmarks share (bench/api_vs_nginx.sh, bench/ssh_certificates.sh): calls to a
gangplankd as its bootstrap admin, and a service principal with one role, made through Microsoft
Graph as az ad sp create-for-rbac makes one."""
import json
import ssl
import urllib.parse
import urllib.request


class Session:
    def __init__(self, work, port):
        self.base = f"https://127.0.0.1:{port}"
        creds = json.load(open(f"{work}/data/credentials.json"))
        self.ctx = ssl.create_default_context(cafile=f"{work}/data/tls/ca.crt")
        self.sub = creds["subscriptionId"]
        self.token = self.token_for(creds["clientId"], creds["clientSecret"])

    def call(self, method, path, body=None, token=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else body.encode())
        if token or (token is None and hasattr(self, "token")):
            req.add_header("Authorization", "Bearer " + (token or self.token))
        with urllib.request.urlopen(req, context=self.ctx) as r:
            return r.read().decode()

    def token_for(self, client_id, secret):
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": client_id,
                                       "client_secret": secret, "scope": self.base + "//.default"})
        return json.loads(self.call("POST", "/adfs/oauth2/v2.0/token", form, token=""))["access_token"]

    def principal(self, name, role, scope, assignment):
        """A new application, its secret and service principal, assigned the built-in `role`
        (a GUID) at `scope` under the assignment name `assignment`; returns (app id, secret)."""
        app = json.loads(self.call("POST", "/v1.0/applications", json.dumps({"displayName": name})))
        secret = json.loads(self.call("POST", f"/v1.0/applications/{app['id']}/addPassword",
                                      "{}"))["secretText"]
        sp = json.loads(self.call("POST", "/v1.0/servicePrincipals",
                                  json.dumps({"appId": app["appId"]})))
        definition = f"/subscriptions/{self.sub}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        self.call("PUT", f"{scope}/providers/Microsoft.Authorization/roleAssignments/{assignment}"
                         "?api-version=2022-04-01",
                  json.dumps({"properties": {"roleDefinitionId": definition, "principalId": sp["id"],
                                             "principalType": "ServicePrincipal"}}))
        return app["appId"], secret
