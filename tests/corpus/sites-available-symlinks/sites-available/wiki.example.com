server {
    listen 8132;
    server_name wiki.example.com;
    location / {
        proxy_pass http://wiki:3000;
    }
}
