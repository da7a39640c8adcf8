-----BEGIN PRIVATE KEY-----
MEcCAQAwBQYDK2VxBDsEOYhbSSplJz92vtUwU/AASxfHTTuw9qY+uAIyxClyeebc
l3+c5kAiCucWmhiWFaF2l68dqupH5dfmbA==
-----END PRIVATE KEY-----
