server {
    listen 8133;
    server_name disabled.example.com;
    return 410;
}
