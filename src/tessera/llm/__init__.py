"""Language models: the ``Provider`` protocol (``base``) and its implementations.

``offline`` (the built-in demo model), ``openai`` (any OpenAI-compatible endpoint),
``factory.create_provider`` (the one the settings choose) and ``testing`` (fakes for tests:
``ScriptedProvider``, ``FakeOpenAIServer``). Import the module you need: nothing is
imported here, so loading ``base`` never loads an SDK.
"""
