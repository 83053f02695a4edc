import pytest


@pytest.mark.django_db
class TestApiDocs:
    def test_the_openapi_schema_is_served(self, client, cast):
        client.force_login(cast.alice)
        response = client.get("/api/schema/?format=json")
        assert response.status_code == 200
        assert response.json()["openapi"].startswith("3.")

    def test_the_interactive_docs_load_their_assets_from_our_own_static_files(self, client, cast):
        client.force_login(cast.alice)
        content = client.get("/api/docs/").content.decode()
        assert "swagger-ui" in content
        assert "cdn" not in content.lower()
