"""The account the AWS collector's tests read, built in moto through boto3.

It holds what the model judges: IAM users, a group and roles with inline, managed and
boundary policies and trust policies; a VPC with an internet route, a security group open
to 0.0.0.0/0 and one admitting another group, a network ACL, an instance with a public IP
and an instance profile; an internet-facing load balancer with a listener; a publicly
accessible database; a bucket made public by policy and ACL and a locked one; a function
with a public URL, a resource policy and a secret in its environment; an EKS cluster.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from .server import ACCOUNT, REGION, Moto

SECRET = "hunter2-do-not-store"
OPEN = "0.0.0.0/0"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def trust(principal: dict[str, Any], **extra: Any) -> str:
    return document(
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
    )


@dataclass(frozen=True)
class World:
    vpc: str
    public_subnet: str
    web_sg: str
    db_sg: str
    igw: str
    nacl: str
    instance: str
    load_balancer: str
    function_arn: str


def build(moto: Moto, region: str = REGION) -> World:
    build_iam(moto)
    network = build_network(moto, region)
    build_buckets(moto, region)
    function_arn = build_function(moto, region)
    build_cluster(moto, region, network["subnets"])
    return World(function_arn=function_arn, **{k: v for k, v in network.items() if k != "subnets"})


def build_iam(moto: Moto) -> None:
    iam = moto.client("iam")
    arn = f"arn:aws:iam::{ACCOUNT}:policy/"
    iam.create_policy(PolicyName="s3-read", PolicyDocument=document(allow("s3:GetObject")))
    iam.create_policy(PolicyName="boundary", PolicyDocument=document(allow(["s3:*", "ec2:*"])))
    iam.create_group(GroupName="developers")
    iam.put_group_policy(
        GroupName="developers",
        PolicyName="describe",
        PolicyDocument=document(allow("ec2:Describe*")),
    )
    iam.attach_group_policy(GroupName="developers", PolicyArn=arn + "s3-read")
    iam.create_user(UserName="alice", PermissionsBoundary=arn + "boundary")
    iam.add_user_to_group(GroupName="developers", UserName="alice")
    iam.put_user_policy(
        UserName="alice", PolicyName="admin-ish", PolicyDocument=document(allow("iam:PassRole"))
    )
    iam.create_user(UserName="bob")
    iam.attach_user_policy(UserName="bob", PolicyArn=arn + "s3-read")
    iam.create_role(
        RoleName="app", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"})
    )
    iam.put_role_policy(RoleName="app", PolicyName="queue", PolicyDocument=document(allow("sqs:*")))
    iam.attach_role_policy(RoleName="app", PolicyArn=arn + "s3-read")
    iam.create_instance_profile(InstanceProfileName="app")
    iam.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    mfa = {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
    iam.create_role(
        RoleName="deployer",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, **mfa),
        PermissionsBoundary=arn + "boundary",
    )
    iam.create_role(
        RoleName="fn", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"})
    )
    iam.create_role(
        RoleName="eks", AssumeRolePolicyDocument=trust({"Service": "eks.amazonaws.com"})
    )


def build_network(moto: Moto, region: str) -> dict[str, Any]:
    ec2 = moto.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [f"{region}a", f"{region}b"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in enumerate(zones, start=1)
    ]
    ec2.modify_subnet_attribute(SubnetId=subnets[0], MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock=OPEN, GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnets[0])
    web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": OPEN}]},
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "198.51.100.10/32"}],
            },
        ],
    )
    db = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": web, "UserId": ACCOUNT}],
            }
        ],
    )
    nacl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=nacl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock=OPEN,
        PortRange={"From": 23, "To": 23},
    )
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=subnets[0],
        SecurityGroupIds=[web],
        IamInstanceProfile={"Name": "app"},
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
    )["Instances"][0]["InstanceId"]
    load_balancer = build_load_balancer(moto, region, vpc, subnets, web)
    rds = moto.client("rds", region)
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="orders",
        MasterUserPassword=SECRET,
        PubliclyAccessible=True,
        VpcSecurityGroupIds=[db],
    )
    return {
        "vpc": vpc,
        "public_subnet": subnets[0],
        "subnets": subnets,
        "web_sg": web,
        "db_sg": db,
        "igw": igw,
        "nacl": nacl,
        "instance": instance,
        "load_balancer": load_balancer,
    }


def build_load_balancer(moto: Moto, region: str, vpc: str, subnets: list[str], sg: str) -> str:
    elb = moto.client("elbv2", region)
    arn = elb.create_load_balancer(
        Name="web", Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc)
    target = group["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target}],
    )
    return str(arn)


def build_buckets(moto: Moto, region: str) -> None:
    s3 = moto.client("s3", region)
    where = {"LocationConstraint": region}
    s3.create_bucket(Bucket="public-assets", CreateBucketConfiguration=where)
    s3.put_public_access_block(
        Bucket="public-assets",
        PublicAccessBlockConfiguration=dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            False,
        ),
    )
    s3.put_bucket_acl(Bucket="public-assets", ACL="public-read")
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    s3.put_bucket_policy(
        Bucket="public-assets",
        Policy=document({**everyone, "Resource": "arn:aws:s3:::public-assets/*"}),
    )
    s3.create_bucket(Bucket="private-data", CreateBucketConfiguration=where)
    moto.client("s3control", region).put_public_access_block(
        AccountId=ACCOUNT,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )


def build_function(moto: Moto, region: str) -> str:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("main.py", "def handler(event, context):\n    return 1\n")
    functions = moto.client("lambda", region)
    arn = functions.create_function(
        FunctionName="thumbnail",
        Runtime="python3.11",
        Role=f"arn:aws:iam::{ACCOUNT}:role/fn",
        Handler="main.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"API_TOKEN": SECRET}},
    )["FunctionArn"]
    functions.create_function_url_config(FunctionName="thumbnail", AuthType="NONE")
    functions.add_permission(
        FunctionName="thumbnail",
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    return str(arn)


def build_cluster(moto: Moto, region: str, subnets: list[str]) -> None:
    moto.client("eks", region).create_cluster(
        name="prod",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
        resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": True},
    )
