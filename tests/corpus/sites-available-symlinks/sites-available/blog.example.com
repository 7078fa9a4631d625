server {
    listen 8131;
    server_name blog.example.com;
    location / {
        proxy_pass http://ghost:2368;
        proxy_set_header Host $host;
    }
}
